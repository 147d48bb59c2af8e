// Loader: (:Article)-[:MENTIONS]->(:Entity) for each PMID of an entity that is an article.
UNWIND $rows AS row
MATCH (a:Article {pmid: row.pmid})
MATCH (e:Entity {id: row.id})
MERGE (a)-[m:MENTIONS]->(e)
RETURN count(m) AS written
