// Times Open Terms Archive's own extraction (its engine's `src/archivist/extract/index.js`) on the cases
// bench_ota.py hands over, warm, in this one Node process (Node's start-up is not counted).
//
//   node bench/ota_extract.mjs ENGINE_FOLDER JOBS_JSON
//
// ENGINE_FOLDER holds node_modules/@opentermsarchive/engine; JOBS_JSON is
//   {"cases": [{"name": ..., "parts": [{"file", "location", "mimeType", "select", "remove"}]}]}.
// Each case is extracted once untimed (the warm-up), then the first stdout line is
//   {"cases": [{"name", "markdown"} or {"name", "error"}]};
// after that each line read on stdin (a case's name) is one timed extraction of that case, answered with one
// line {"seconds": wall, "cpu": the process's CPU seconds (all its threads)}: bench_ota.py takes turns between the engine and this tool, run by run, so a noisy
// moment of the machine hits both alike, and keeps the best of each.
//
// Each part becomes a SourceDocument as the engine's services/index.js builds one from a declaration (a
// combined part's own keys over the shared ones, which bench_ota.py resolves), with the snapshot's content: a
// string for HTML, the bytes for a PDF (as its recorder reads them). Parts are extracted as the engine's
// archivist does (all at once, joined with its separator). No filters: they need a browser in privacy-monitor.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
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

const prepared = new Map();

for (const job of jobs.cases) {
  try {
    const documents = await sourceDocuments(job.parts);

    prepared.set(job.name, { documents, markdown: await extractAll(documents) }); // the warm-up run, untimed
  } catch (error) {
    prepared.set(job.name, { error: String(error?.message ?? error).split('\n')[0] });
  }
}

const reply = message => process.stdout.write(`${JSON.stringify(message)}\n`);

reply({ cases: [...prepared].map(([ name, { markdown, error }]) => ({ name, markdown, error })) });

for await (const line of createInterface({ input: process.stdin })) { // one timed run per line: the case's name
  const { documents } = prepared.get(line.trim()) ?? {};

  if (!documents) {
    reply({ error: `no such case: ${line.trim()}` });
    continue;
  }
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();

  await extractAll(documents);
  const { user, system } = process.cpuUsage(cpu);

  reply({ seconds: Number(process.hrtime.bigint() - started) / 1e9, cpu: (user + system) / 1e6 });
}
