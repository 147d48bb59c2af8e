// How are two entities connected? The shortest chain of relations between them (at
// most 6 hops, through entities only, co-mentions left out), with the PMIDs behind
// each hop. Paste into the Browser (lupus and a chemical, linked through other entities):
// :param source => 'MESH:D008180'
// :param target => 'MESH:D004317'
MATCH (a:Entity {id: $source}), (b:Entity {id: $target})
MATCH p = shortestPath((a)-[*..6]-(b))
WHERE all(r IN relationships(p) WHERE type(r) <> 'MENTIONS' AND type(r) <> 'CO_MENTION')
RETURN length(p) AS hops,
       [n IN nodes(p) | n.id + ' ' + coalesce(n.name, '')] AS entities,
       [r IN relationships(p) | {from: startNode(r).id, relation: type(r), to: endNode(r).id,
                                  pmids: r.pmids}] AS evidence
