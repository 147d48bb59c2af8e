// The evidence behind one edge: every article (PMID and title) in which the corpora
// relate two entities, for one relation type or, with relation => null, for any.
// Paste into the Browser:
// :param source => 'MESH:D008180'
// :param target => 'NCBIGene:9970'
// :param relation => 'ASSOCIATION'
MATCH (a:Entity {id: $source})-[r]-(b:Entity {id: $target})
WHERE $relation IS NULL OR type(r) = $relation
UNWIND r.pmids AS pmid
OPTIONAL MATCH (art:Article {pmid: pmid})
RETURN a.name AS source, type(r) AS relation, b.name AS target, pmid, art.title AS title
ORDER BY relation, size(pmid), pmid
