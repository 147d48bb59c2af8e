// Loader, step 2 of a relationship batch: write new or changed relationships.
// `{type}` is filled in by kg.neo4j after validation; both entities exist already
// (entities are loaded first), and `written` lets the loader check that.
UNWIND $rows AS row
MATCH (a:Entity {id: row.start})
MATCH (b:Entity {id: row.end})
MERGE (a)-[r:`{type}`]->(b)
SET r.pmids = row.pmids,
    r.count = row.count,
    r.source_types = row.source_types
RETURN count(r) AS written
