// Loader: take the write locks of the entities a batch will change, in id order, so that
// two loads at once cannot overwrite each other's PMIDs (the property is set and removed
// in the same transaction; nothing stays behind).
UNWIND $ids AS id
MATCH (n:Entity {id: id})
SET n.`_kg_lock` = true
REMOVE n.`_kg_lock`
RETURN count(n) AS locked
