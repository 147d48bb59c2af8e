// Loader, step 1 of an article batch: titles already stored for these PMIDs.
UNWIND $pmids AS pmid
MATCH (a:Article {pmid: pmid})
RETURN a.pmid AS pmid, a.title AS title
