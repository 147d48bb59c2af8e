// Loader, step 2 of an article batch: write new or changed articles.
UNWIND $rows AS row
MERGE (a:Article {pmid: row.pmid})
SET a.title = row.title
RETURN count(a) AS written
