/** What a started stack must undo, undone in reverse order of start; a step that fails is logged and the rest still run. */
export class Teardown {
  private readonly steps: (() => Promise<void>)[] = [];

  constructor(private readonly log: (line: string) => void) {}

  add(...steps: (() => Promise<void>)[]) {
    this.steps.push(...steps);
  }

  async run() {
    for (const step of this.steps.splice(0).reverse()) await step().catch((err: Error) => this.log(`while stopping: ${err.message}`));
  }
}
