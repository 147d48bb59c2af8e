// Loader, step 1 of an entity batch: what the database already holds for these ids.
UNWIND $ids AS id
MATCH (n:Entity {id: id})
RETURN n.id AS id, labels(n) AS labels, n.type AS type, n.name AS name,
       n.synonyms AS synonyms, n.synonym_counts AS synonym_counts,
       n.mentions AS mentions, n.pmids AS pmids, n.name_source AS name_source,
       n.symbol AS symbol, n.full_name AS full_name, n.xrefs AS xrefs
