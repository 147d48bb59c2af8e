// Loader, step 2 of an entity batch: write the merged rows (new or changed only).
// `{label}` is filled in by kg.neo4j after validation (^[A-Za-z][A-Za-z0-9_]*$);
// every value is a parameter. A null value removes the property, as an empty field
// does in neo4j-admin import.
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
