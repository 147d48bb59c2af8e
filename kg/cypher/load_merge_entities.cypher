// Loader, step 2 of an entity batch: write the merged rows (new or changed only).
// `{label}` becomes $(row.label) on Neo4j 5.26+ (the label is a value: one text for every
// label), on older servers the label itself after validation (^[A-Za-z][A-Za-z0-9_]*$);
// either way the label is kg.normalize.safe_name of the type. Every value is a parameter;
// a null value removes the property, as an empty field does in neo4j-admin import.
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
SET n:`{label}`,
    n.type = row.type,
    n.name = row.name,
    n.synonyms = row.synonyms,
    n.synonym_counts = row.synonym_counts,
    n.mentions = row.mentions,
    n.pmids = row.pmids,
    n.name_source = row.name_source,
    n.symbol = row.symbol,
    n.full_name = row.full_name,
    n.xrefs = row.xrefs
RETURN count(n) AS written
