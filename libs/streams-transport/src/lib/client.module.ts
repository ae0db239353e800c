import type { DynamicModule, Type } from '@nestjs/common';
import { ClientsModule, type ClientProxy } from '@nestjs/microservices';
import { RedisStreamsClient } from './client';
import type { RedisStreamsClientOptions } from './options';

export interface RedisStreamsClientModuleOptions extends RedisStreamsClientOptions {
  /** The injection token: `@Inject(name) client: RedisStreamsClient`. */
  name: string | symbol;
  isGlobal?: boolean;
}

/** Provides a RedisStreamsClient under a token; Nest closes it on shutdown. */
export class RedisStreamsClientModule {
  static register({ name, isGlobal, ...options }: RedisStreamsClientModuleOptions): DynamicModule {
    // The cast drops the client's typed event map, which ClientsModule's `Type<ClientProxy>` cannot express.
    const customClass = RedisStreamsClient as unknown as Type<ClientProxy>;
    return ClientsModule.register({ clients: [{ name, customClass, options }], isGlobal });
  }
}
