// What is associated with a given disease, and in which articles (PMIDs)?
// Every relation the corpora state (ASSOCIATION, POSITIVE_CORRELATION, CID, TREAT, ...),
// strongest evidence first; co-mentions (CO_MENTION) are left out. Paste into the Browser:
// :param disease => 'MESH:D008180'
MATCH (d:Entity {id: $disease})-[r]-(x:Entity)
WHERE type(r) <> 'CO_MENTION'
RETURN x.id AS id, x.name AS name, x.type AS type, type(r) AS relation,
       r.count AS articles, r.pmids AS pmids
ORDER BY articles DESC, id, relation
