// Which entities are studied most often, by the number of articles that mention them?
// Set `type` to one entity type ('Disease', 'Chemical', 'Gene', 'Species', 'Variant',
// 'CellLine', ...) or to null for all types. Paste into the Neo4j Browser:
// :param type => 'Disease'
// :param limit => 20
MATCH (e:Entity)
WHERE $type IS NULL OR e.type = $type
WITH e, size(coalesce(e.pmids, [])) AS articles
RETURN e.id AS id, e.name AS name, e.type AS type, articles, e.mentions AS mentions
ORDER BY articles DESC, mentions DESC, id
LIMIT toInteger($limit)
