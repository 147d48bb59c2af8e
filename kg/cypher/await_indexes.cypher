// Wait until every index (the constraints' and the full-text one) is online.
CALL db.awaitIndexes($seconds)
