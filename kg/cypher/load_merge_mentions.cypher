// Loader: (:Article)-[:MENTIONS]->(:Entity) for each PMID of an entity that is an article,
// sent grouped by article. $ids holds each entity of the batch once; a row is
// {pmid, entities}, `entities` being positions in $ids, so each entity is looked up once
// per batch rather than once per pair (and the client packs small integers, not ids).
// If an entity is missing nothing is written (the loader compares `written` with the
// number of pairs sent); a missing article drops its pairs, which the loader sees too.
UNWIND range(0, size($ids) - 1) AS i
MATCH (e:Entity {id: $ids[i]})
WITH i, e ORDER BY i
WITH collect(e) AS entities
WHERE size(entities) = size($ids)
UNWIND $rows AS row
MATCH (a:Article {pmid: row.pmid})
UNWIND row.entities AS i
WITH a, entities[i] AS e
MERGE (a)-[m:MENTIONS]->(e)
RETURN count(m) AS written
