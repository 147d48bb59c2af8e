// Schema of the kg graph in Neo4j 5 (run by kg.neo4j.load_graph before every load;
// each statement is idempotent thanks to IF NOT EXISTS). Paste into the Neo4j Browser
// as is to prepare an empty database by hand.
// A statement that fails stops the load: loading without the uniqueness constraints
// would make every MERGE a label scan and let duplicates in.

CREATE CONSTRAINT entity_id IF NOT EXISTS
FOR (n:Entity) REQUIRE n.id IS UNIQUE;

CREATE CONSTRAINT article_pmid IF NOT EXISTS
FOR (a:Article) REQUIRE a.pmid IS UNIQUE;

// Names (a vocabulary's where kg knew it), mention forms (`synonyms`, a list of strings:
// the counts are in `synonym_counts`), gene symbols and full names: "Homo sapiens",
// "NR1I3" and "nuclear receptor" all find their node. A database whose index was made by
// an older kg keeps it (IF NOT EXISTS); `DROP INDEX entity_names` and load again to widen it.
CREATE FULLTEXT INDEX entity_names IF NOT EXISTS
FOR (n:Entity) ON EACH [n.name, n.synonyms, n.symbol, n.full_name];
