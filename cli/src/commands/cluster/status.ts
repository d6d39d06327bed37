import { Command } from '@oclif/core';
export default class Status extends Command {
  static override description = 'x';
  async run() {
    this.log('hello');
  }
}
