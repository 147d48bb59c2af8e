// Loader, step 1 of a relationship batch: what the database already holds between these
// pairs, of every type (the loader picks each row's own). No type in the text: one text
// for every type, and no dynamic type, whose row estimates Neo4j 5.26 gets wrong. The hint
// keeps the unique-index seek whatever the statistics were when the text was planned.
UNWIND $rows AS row
MATCH (a:Entity {id: row.start})-[r]->(b:Entity {id: row.end})
USING INDEX SEEK a:Entity(id)
RETURN row.start AS start, row.end AS end, type(r) AS type, elementId(r) AS rid, r.pmids AS pmids,
       r.count AS count, r.source_types AS source_types
