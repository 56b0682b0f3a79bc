/**
 * What a program of the simulated guest image is, and what it may use of the guest OS while it
 * runs. Each tool family is one module in this folder; `index.ts` is the registry the guest
 * dispatches a command through.
 */
import type { DriverConfig } from '../../../config/lab-file.js';
import type { LoadedDriver } from '../../ports.js';
import type { Bcd } from '../bcd.js';
import type { EventLog } from '../events.js';
import type { FilterStack } from '../filters.js';
import type { GuestFileSystem } from '../fs.js';
import type { GuestEnvironment, GuestHost, GuestState } from '../guest.js';
import type { InfPackage } from '../inf.js';
import type { GuestRegistry } from '../registry.js';
import type { ServiceState, Win32Error } from '../services.js';
import type { ToolResult } from '../tool.js';

/** The guest OS as a running program sees it, for one command. */
export interface ProgramContext {
  readonly host: GuestHost;
  readonly state: GuestState;
  readonly env: GuestEnvironment;
  readonly fs: GuestFileSystem;
  readonly registry: GuestRegistry;
  readonly bcd: Bcd;
  readonly log: EventLog;
  readonly stack: FilterStack;
  /** The guest's environment variables, by lower-case name. */
  environment(): Record<string, string>;
  /** The lab driver a binary (and version) is, if any. */
  identify(binary: string, version: string | undefined): DriverConfig | undefined;
  loadedDriver(service: ServiceState): LoadedDriver;
  loadService(service: ServiceState): Promise<Win32Error | null>;
  unloadService(service: ServiceState): Promise<Win32Error | null>;
  isStoppable(service: ServiceState): boolean;
  installServices(inf: InfPackage, infPath: string, nowIso: string): void;
  /** Runs another program of the guest with another host (cmd runs programs); null when there is none. */
  exec(file: string, args: readonly string[], host: GuestHost): Promise<ToolResult | null>;
}

/** A program of the guest image: its arguments and the guest in, what it prints and its exit code out. */
export type GuestProgram = (
  args: readonly string[],
  guest: ProgramContext,
) => ToolResult | Promise<ToolResult>;
