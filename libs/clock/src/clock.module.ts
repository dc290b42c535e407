import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Clock, SystemClock } from './clock.js';
import { PeriodicJobs } from './periodic-jobs.js';

/** Time for the whole app: the clock, and the one way to run periodic jobs (periodic-jobs.ts). */
@Global()
@Module({ imports: [ScheduleModule.forRoot()], providers: [{ provide: Clock, useClass: SystemClock }, PeriodicJobs], exports: [Clock, PeriodicJobs] })
export class ClockModule {
  /** Tests pass a FakeClock to stand at an exact instant. */
  static with(clock: Clock): DynamicModule {
    return {
      module: ClockModule,
      global: true,
      imports: [ScheduleModule.forRoot()],
      providers: [{ provide: Clock, useValue: clock }, PeriodicJobs],
      exports: [Clock, PeriodicJobs],
    };
  }
}
