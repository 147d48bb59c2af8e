// An entity's neighbourhood, by type: how many genes, chemicals, diseases, ... it is
// related to, through which relation types, and the best-supported of them.
// Paste into the Browser:
// :param entity => 'MESH:D008180'
MATCH (e:Entity {id: $entity})-[r]-(n:Entity)
WITH n.type AS type, n, collect(DISTINCT type(r)) AS relations, sum(r.count) AS articles
ORDER BY articles DESC, n.id
WITH type, count(n) AS neighbours, collect(n.id + ' ' + coalesce(n.name, ''))[..10] AS top,
     reduce(acc = [], rs IN collect(relations) | acc + [x IN rs WHERE NOT x IN acc]) AS relation_types
RETURN type, neighbours, relation_types, top
ORDER BY neighbours DESC, type
