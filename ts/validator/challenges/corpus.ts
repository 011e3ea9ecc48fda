// Corpus QA (kind corpus_qa): a worker draws a window of a local text corpus and has an LLM write questions
// and answers about a passage of it (py/condense_worker/tasks/corpus.py); answers are judged by an LLM
// (AnswerCheck JUDGE). Offered only with --validator.corpus_dir naming a folder that holds .txt/.md files.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { ConfigError } from "../../config/resolve.js";

export const CORPUS_QA_KIND = "corpus_qa";
/** Directory entries looked at to find one usable file (the worker does the full, bounded walk). */
const SCAN_LIMIT = 10_000;

/** What a Challenge request needs for corpus_qa. */
export interface CorpusSource {
  corpusDir: string;
  /** "" = the worker's own model. */
  generator: string;
}

/** The `--validator.*` keys this reads. */
export interface CorpusFlags {
  corpus_dir?: string | undefined;
  generator_model?: string | undefined;
}

/**
 * The candidate kinds with corpus_qa added (or kept, when listed) where a corpus is configured and holds a
 * .txt/.md file, and removed otherwise; the decision is logged once. A corpus_dir that is not a folder is a
 * ConfigError naming the flag. `explicit`: the operator listed the kinds (then corpus_qa is used only if listed).
 */
export function offerCorpusQa(kinds: readonly string[], explicit: boolean, flags: CorpusFlags, log: Pick<Logger, "info" | "warn">): { kinds: string[]; corpus: CorpusSource | null } {
  const rest = kinds.filter((k) => k !== CORPUS_QA_KIND);
  const wanted = !explicit || kinds.includes(CORPUS_QA_KIND);
  if (!wanted) return { kinds: rest, corpus: null };
  if (flags.corpus_dir === undefined) {
    log.info("corpus QA off: no --validator.corpus_dir");
    return { kinds: rest, corpus: null };
  }
  let st;
  try {
    st = statSync(flags.corpus_dir);
  } catch (e) {
    throw new ConfigError([{ key: "validator.corpus_dir", message: `cannot read it: ${(e as Error).message}`, value: flags.corpus_dir }]);
  }
  if (!st.isDirectory()) throw new ConfigError([{ key: "validator.corpus_dir", message: "not a folder", value: flags.corpus_dir }]);
  if (!hasTextFile(flags.corpus_dir)) {
    log.warn({ corpusDir: flags.corpus_dir }, "corpus QA off: --validator.corpus_dir holds no .txt or .md file");
    return { kinds: rest, corpus: null };
  }
  const corpus = { corpusDir: flags.corpus_dir, generator: flags.generator_model ?? "" };
  log.info({ corpusDir: corpus.corpusDir, generator: corpus.generator || "the worker model" }, "corpus QA on");
  return { kinds: [...rest, CORPUS_QA_KIND], corpus };
}

/** A bounded breadth-first look for one .txt/.md entry (symlinked folders are not entered). */
function hasTextFile(root: string): boolean {
  const queue = [root];
  let seen = 0;
  while (queue.length && seen < SCAN_LIMIT) {
    const dir = queue.shift()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > SCAN_LIMIT) break;
      if ((e.isFile() || e.isSymbolicLink()) && /\.(txt|md)$/i.test(e.name)) return true;
      if (e.isDirectory()) queue.push(path.join(dir, e.name));
    }
  }
  return false;
}
