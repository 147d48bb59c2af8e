// Which articles mention both of two entities (whether or not a relation between them
// was annotated)? Needs the Article nodes (loaded unless --no-articles).
// Paste into the Browser (clonidine and hypotension):
// :param first => 'MESH:D003000'
// :param second => 'MESH:D007022'
MATCH (a:Article)-[:MENTIONS]->(:Entity {id: $first}),
      (a)-[:MENTIONS]->(:Entity {id: $second})
RETURN a.pmid AS pmid, a.title AS title
ORDER BY size(a.pmid), a.pmid
