// Which chemicals treat or cause a given disease? TREAT and CAUSE come from PubTator
// relation annotations, CID (chemical-induced disease) from BC5CDR-style corpora.
// Paste into the Browser (MESH:D007022 is hypotension):
// :param disease => 'MESH:D007022'
MATCH (c:Chemical)-[r:TREAT|CAUSE|CID]-(d:Entity {id: $disease})
RETURN c.id AS chemical, c.name AS name, type(r) AS relation,
       r.count AS articles, r.pmids AS pmids
ORDER BY relation, articles DESC, chemical
