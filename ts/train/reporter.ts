// Shows training progress (a cli-progress bar on a terminal, plain lines otherwise) and appends every
// record to a JSONL log.
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import type { TrainRecord } from "./metrics.js";

const fmt = (x: number | null, digits = 4): string => (x === null ? "-" : x.toFixed(digits));

export function describe(r: TrainRecord): string {
  const eta = r.eta_s === null ? "-" : `${Math.round(r.eta_s)}s`;
  return `step ${r.step}/${r.max_steps} loss ${fmt(r.loss)} val_loss ${fmt(r.val_loss)} val_acc ${fmt(r.val_accuracy, 2)} ` +
    `${fmt(r.tokens_per_s, 0)} tok/s eta ${eta}`;
}

export class TrainReporter {
  private readonly log: WriteStream;
  private bar: cliProgress.SingleBar | undefined;
  private lastVal: number | null = null;
  private lastLine = 0;

  constructor(
    readonly logPath: string,
    private readonly opts: { bar: boolean; stream?: NodeJS.WriteStream } = { bar: true },
  ) {
    mkdirSync(path.dirname(logPath), { recursive: true });
    this.log = createWriteStream(logPath, { flags: "a" });
  }

  private get stream(): NodeJS.WriteStream {
    return this.opts.stream ?? process.stderr;
  }

  update(r: TrainRecord): void {
    this.log.write(JSON.stringify(r) + "\n");
    if (this.opts.bar && this.stream.isTTY) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          { format: "train |{bar}| {value}/{total} {info}", stream: this.stream, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(r.max_steps, r.step, { info: "" });
      }
      this.bar.setTotal(r.max_steps);
      this.bar.update(r.step, { info: describe(r).replace(/^step \S+ /, "") });
      return;
    }
    // Without a terminal: a line at each validation, every ~10% of the run and at the end.
    const every = Math.max(1, Math.floor(r.max_steps / 10));
    if (r.final || r.val_loss !== this.lastVal || r.step - this.lastLine >= every) {
      this.stream.write(`${describe(r)}${r.final ? " (final)" : ""}\n`);
      this.lastVal = r.val_loss;
      this.lastLine = r.step;
    }
  }

  async close(): Promise<void> {
    this.bar?.stop();
    await new Promise<void>((resolve, reject) => this.log.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
