// Loader, step 2 of a relationship batch on Neo4j 5.26+: create the relationships the
// batch found absent while it held the write locks of both endpoints (so no other load
// can have created them since). `{type}` becomes $(row.type): one text for every type.
// A MERGE would do, but its plan for a dynamic type depends on the statistics it was
// planned with: on a database without relationships yet, Neo4j 5.26 scans every
// relationship for each row (docs/neo4j.md, "Query texts and plans").
UNWIND $rows AS row
MATCH (a:Entity {id: row.start})
MATCH (b:Entity {id: row.end})
CREATE (a)-[r:`{type}`]->(b)
SET r.pmids = row.pmids,
    r.count = row.count,
    r.source_types = row.source_types
RETURN count(r) AS written
