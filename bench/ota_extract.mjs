// Times Open Terms Archive's own extraction (its engine's `src/archivist/extract/index.js`) on the cases
// bench_ota.py hands over, warm, best of N, all in this one Node process (Node's start-up is not counted).
//
//   node bench/ota_extract.mjs ENGINE_FOLDER JOBS_JSON
//
// ENGINE_FOLDER holds node_modules/@opentermsarchive/engine; JOBS_JSON is
//   {"repeat": N, "cases": [{"name": ..., "parts": [{"file", "location", "mimeType", "select", "remove"}]}]}
// and one JSON line goes to stdout: {"cases": [{"name", "seconds", "markdown"} or {"name", "error"}]}.
//
// Each part becomes a SourceDocument as the engine's services/index.js builds one from a declaration (a
// combined part's own keys over the shared ones, which bench_ota.py resolves), with the snapshot's content: a
// string for HTML, the bytes for a PDF (as its recorder reads them). Parts are extracted as the engine's
// archivist does (all at once, joined with its separator). No filters: they need a browser in privacy-monitor.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [engineFolder, jobsFile] = process.argv.slice(2);
const engine = path.join(engineFolder, 'node_modules', '@opentermsarchive', 'engine', 'src', 'archivist');
const { default: extract } = await import(pathToFileURL(path.join(engine, 'extract', 'index.js')));
const { default: SourceDocument } = await import(pathToFileURL(path.join(engine, 'services', 'sourceDocument.js')));
const { default: Version } = await import(pathToFileURL(path.join(engine, 'recorder', 'version.js')));

const jobs = JSON.parse(await readFile(jobsFile, 'utf8'));

async function sourceDocuments(parts) {
  return Promise.all(parts.map(async part => {
    const bytes = await readFile(part.file);

    return new SourceDocument({
      location: part.location,
      executeClientScripts: false,
      contentSelectors: part.select,
      insignificantContentSelectors: part.remove,
      filters: undefined,
      content: part.mimeType === 'application/pdf' ? bytes : bytes.toString('utf8'),
      mimeType: part.mimeType,
    });
  }));
}

async function extractAll(documents) {
  const contents = await Promise.all(documents.map(document => extract(document)));

  return contents.join(Version.SOURCE_DOCUMENTS_SEPARATOR);
}

const results = [];

for (const job of jobs.cases) {
  try {
    const documents = await sourceDocuments(job.parts);
    const markdown = await extractAll(documents); // the warm-up run, untimed
    let fastest = Infinity;

    for (let run = 0; run < jobs.repeat; run++) {
      const started = process.hrtime.bigint();

      await extractAll(documents);
      fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
    }
    results.push({ name: job.name, seconds: fastest, markdown });
  } catch (error) {
    results.push({ name: job.name, error: String(error?.message ?? error).split('\n')[0] });
  }
}

process.stdout.write(`${JSON.stringify({ cases: results })}\n`);
