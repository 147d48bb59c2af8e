// Find entities by name or synonym through the full-text index `entity_names`
// (Lucene syntax: words, "quoted phrases", wildcards such as lupu*, AND / OR).
// Paste into the Browser:
// :param query => 'lupus'
CALL db.index.fulltext.queryNodes('entity_names', $query) YIELD node, score
RETURN node.id AS id, node.name AS name, node.type AS type,
       coalesce(node.synonyms, [])[..5] AS synonyms, size(coalesce(node.pmids, [])) AS articles, score
ORDER BY score DESC, articles DESC, id
LIMIT 25
