/**
 * The target's half of one debug session, whatever the transport: it answers the host's requests
 * by calling the DebugTarget, one request at a time in arrival order, and turns the VM's events
 * into messages. Each carries the target's state after it (stopped, prompt processor).
 */
import type { DebugTarget, TargetEvent } from '../ports.js';
import { HostRequest, TargetIdentitySchema, type TargetMessage } from './protocol.js';

export class TargetServer {
  private chain: Promise<void> = Promise.resolve();
  private active = true;

  constructor(
    private readonly target: DebugTarget,
    private readonly send: (message: TargetMessage) => void,
  ) {}

  /** The first message of a session: who the target is and whether it is stopped. */
  hello(): TargetMessage {
    const identity = TargetIdentitySchema.safeParse(this.target.identity());
    if (!identity.success) {
      throw new TypeError(
        `The simulated target's identity does not fit the DebugTarget port: ${identity.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    }
    return { op: 'hello', identity: identity.data, ...this.state() };
  }

  /** Handles one message from the host; anything that is not a request is ignored. */
  handle(value: unknown): void {
    const parsed = HostRequest.safeParse(value);
    if (!parsed.success) return;
    const request = parsed.data;
    this.chain = this.chain.then(() => this.run(request));
  }

  /** Tells the host about something nobody asked for. */
  event(event: TargetEvent): void {
    if (this.active) this.send({ op: 'event', event, ...this.state() });
  }

  /** The session is over: replies still being computed are dropped. */
  end(): void {
    this.active = false;
  }

  private state(): { stopped: boolean; processor: number | null } {
    return { stopped: this.target.isStopped(), processor: this.target.currentProcessor() };
  }

  private async run(request: HostRequest): Promise<void> {
    let text = '';
    try {
      switch (request.op) {
        case 'break':
          text = await this.target.breakIn();
          break;
        case 'execute':
          text = await this.target.execute(request.command);
          break;
        case 'resume':
          await this.target.resume();
          break;
        case 'reboot':
          await this.target.reboot();
          break;
        case 'answer':
          text = await this.target.answerVerifier(request.choice);
          break;
      }
    } catch (error) {
      if (this.active) {
        this.send({
          op: 'failed',
          id: request.id,
          error: error instanceof Error ? error.message : String(error),
          ...this.state(),
        });
      }
      return;
    }
    if (this.active) this.send({ op: 'reply', id: request.id, text, ...this.state() });
  }
}
