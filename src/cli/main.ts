#!/usr/bin/env node
/**
 * The `effect-pgwire` executable: `node src/cli/main.ts serve|proxy ...`.
 * SIGINT and SIGTERM interrupt the command, which shuts its server down.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeChildProcessSpawner from "@effect/platform-node/NodeChildProcessSpawner"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeStdio from "@effect/platform-node/NodeStdio"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Command from "effect/cli/Command"
import { cli } from "./Commands.ts"

// NodeServices of @effect/platform-node 4.0 loads a module effect 4.1 no longer has; the CLI needs these five.
const services = Layer.mergeAll(
  NodeFileSystem.layer,
  NodePath.layer,
  NodeStdio.layer,
  NodeTerminal.layer,
  NodeChildProcessSpawner.layer.pipe(Layer.provide(Layer.merge(NodeFileSystem.layer, NodePath.layer)))
)

Command.run(cli, { version: "0.1.0" }).pipe(
  Effect.provide(services),
  // A shutdown asked for by SIGINT or SIGTERM is the normal end of a server: exit 0.
  NodeRuntime.runMain({
    teardown: (exit, onExit) => (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit))
  })
)
