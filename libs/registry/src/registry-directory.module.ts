import { Module } from '@nestjs/common';
import { TenancyDirectory } from './customers/tenancy-directory.js';
import { ReaderDirectory } from './devices/reader-directory.js';

const DIRECTORIES = [ReaderDirectory, TenancyDirectory];

/**
 * The registry's read operations for other libs, in a module of their own: the access log needs
 * them without the registry's services (RegistryModule and RegistryCoreModule each hold their own
 * RegistryChanges, so importing either from access-log would make a second one).
 */
@Module({ providers: DIRECTORIES, exports: DIRECTORIES })
export class RegistryDirectoryModule {}
