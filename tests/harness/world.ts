/**
 * A test's world: the emulated Azure and the real provider process wired to it (its proxy and CA
 * through the environment, its NMI through `--nmi-address`), as the end-to-end suites start it.
 */
import { type Emulator, startEmulator } from "../emulator/emulator.ts";
import { type ProviderProcess, startProviderProcess } from "./provider_process.ts";

/** An emulator and a provider wired to it. */
export interface World {
  readonly emulator: Emulator;
  readonly provider: ProviderProcess;
  /** Stops the provider, then the emulator. */
  close(): Promise<void>;
}

/** How a provider of a world is started. */
export interface WorldProviderOptions {
  /** Flags after the world's own (`--nmi-address`); a later flag wins, as in Go. */
  readonly args?: string[];
  /** The permission flags, if not the production list. */
  readonly permissions?: string[];
}

/** Starts a provider (production permissions by default) that reaches Azure only through `emulator`. */
export function startWorldProvider(
  emulator: Emulator,
  options: WorldProviderOptions = {},
): Promise<ProviderProcess> {
  return startProviderProcess({
    env: emulator.env(),
    args: [`--nmi-address=${emulator.nmiAddress}`, ...(options.args ?? [])],
    permissions: options.permissions,
  });
}

/** Starts the emulator with `seed` and one provider wired to it. */
export async function startWorld(
  seed: Record<string, unknown>,
  options: WorldProviderOptions = {},
): Promise<World> {
  const emulator = await startEmulator({ seed });
  const provider = await startWorldProvider(emulator, options).catch(async (error) => {
    await emulator.close();
    throw error;
  });
  return {
    emulator,
    provider,
    async close() {
      await provider.stop();
      await emulator.close();
    },
  };
}
