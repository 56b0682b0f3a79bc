/**
 * Every `driverlab` subcommand, in the order `driverlab --help` lists them. A new command is a
 * module in this folder exporting a Command, and one line here.
 */
import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { bucketsCommand } from './buckets.js';
import { doctorCommand } from './doctor.js';
import { gateCommand } from './gate.js';
import { opsCommand } from './ops.js';
import { parseCommand } from './parse.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { stepsCommand } from './steps.js';

export const commands: readonly Command[] = [
  runCommand,
  reportCommand,
  gateCommand,
  bucketsCommand,
  parseCommand,
  opsCommand,
  doctorCommand,
  stepsCommand,
  agentCommand,
];
