// Loader, step 2 of a relationship batch on Neo4j 5.26+: rewrite the changed relationships
// the batch read under the write locks of both endpoints, found again by their element id
// among the relationships of their start entity (no type in the text: one for every type;
// anchored at the entity by the hint, because Neo4j 5.26 has no seek by a relationship's
// element id taken from a row and would scan every relationship).
UNWIND $rows AS row
MATCH (a:Entity {id: row.start})-[r]->(b:Entity {id: row.end})
USING INDEX SEEK a:Entity(id)
WHERE elementId(r) = row.rid
SET r.pmids = row.pmids,
    r.count = row.count,
    r.source_types = row.source_types
RETURN count(r) AS written
