import type { ChildProcess } from 'node:child_process';

// One piece of the stack run as its own process, which a scenario can hang (SIGSTOP), resume,
// kill and start again on the same port with the same state.

export interface RunningProcess {
  process: ChildProcess;
  stop(): Promise<void>;
}

export class Service<T extends RunningProcess> {
  private running: T | undefined;

  constructor(
    readonly name: string,
    private readonly launch: () => Promise<T>,
    private readonly log: (message: string) => void,
  ) {}

  get current(): T {
    if (!this.running) throw new Error(`${this.name} is not running`);
    return this.running;
  }

  get pid(): number {
    const pid = this.current.process.pid;
    if (pid === undefined) throw new Error(`${this.name} has no process id`);
    return pid;
  }

  async start(): Promise<T> {
    this.running = await this.launch();
    this.log(`${this.name} started (pid ${this.running.process.pid})`);
    return this.running;
  }

  /** A hung server: the port stays open, nothing answers. */
  hang(): void {
    process.kill(this.pid, 'SIGSTOP');
    this.log(`${this.name} hung (SIGSTOP)`);
  }

  resume(): void {
    process.kill(this.pid, 'SIGCONT');
    this.log(`${this.name} resumed (SIGCONT)`);
  }

  /** Gone at once, as in a crash: nothing is flushed or closed. */
  async kill(): Promise<void> {
    const child = this.current.process;
    this.running = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // A stopped process takes SIGKILL too; SIGCONT first so no stopped zombie is left behind.
    child.kill('SIGKILL');
    child.kill('SIGCONT');
    await exited;
    this.log(`${this.name} killed (SIGKILL)`);
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    running.process.kill('SIGCONT');
    await running.stop();
  }
}
