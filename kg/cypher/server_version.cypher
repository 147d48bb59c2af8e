// Loader, before anything is written: which Neo4j answers (kg needs 5.0 or newer).
CALL dbms.components() YIELD name, versions, edition
RETURN name, versions, edition
