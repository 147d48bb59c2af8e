// Loader, step 2 of a relationship batch on Neo4j before 5.26: write new or changed
// relationships. `{type}` is filled in by kg.neo4j after validation (one text per type;
// 5.26+ use load_create_relationships and load_update_relationships instead, one text for
// every type). Both entities exist already (entities are loaded first), and `written`
// lets the loader check that.
UNWIND $rows AS row
MATCH (a:Entity {id: row.start})
MATCH (b:Entity {id: row.end})
MERGE (a)-[r:`{type}`]->(b)
SET r.pmids = row.pmids,
    r.count = row.count,
    r.source_types = row.source_types
RETURN count(r) AS written
