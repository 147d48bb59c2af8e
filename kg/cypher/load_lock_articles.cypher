// Loader: take the write locks of the articles a batch will change, in PMID order (see
// load_lock_entities.cypher).
UNWIND $pmids AS pmid
MATCH (a:Article {pmid: pmid})
SET a.`_kg_lock` = true
REMOVE a.`_kg_lock`
RETURN count(a) AS locked
