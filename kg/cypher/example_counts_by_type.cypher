// What is in the database? Entities by type, relationships by type, and articles.
// No parameters.
MATCH (e:Entity)
RETURN 'entity' AS kind, e.type AS type, count(*) AS count
UNION ALL
MATCH (:Entity)-[r]->(:Entity)
RETURN 'relationship' AS kind, type(r) AS type, count(*) AS count
UNION ALL
MATCH (a:Article)
RETURN 'article' AS kind, 'Article' AS type, count(a) AS count
UNION ALL
MATCH (:Article)-[m:MENTIONS]->(:Entity)
RETURN 'relationship' AS kind, 'MENTIONS' AS type, count(m) AS count
