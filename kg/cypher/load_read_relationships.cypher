// Loader, step 1 of a relationship batch (one relationship type per batch):
// what the database already holds between these pairs.
// `{type}` is filled in by kg.neo4j after validation.
UNWIND $rows AS row
MATCH (a:Entity {id: row.start})-[r:`{type}`]->(b:Entity {id: row.end})
RETURN row.start AS start, row.end AS end, r.pmids AS pmids, r.count AS count,
       r.source_types AS source_types
