/**
 * The one module that touches onnxruntime-node: sessions, their metadata and tensor conversion. Everything else
 * in the engine sees `Tensor` (flat typed array + dims).
 */
import * as ort from "onnxruntime-node";
import { fp16ToFp32, type Tensor } from "~/lib/tensor";
import { ExecutionProviderError, ModelFolderError } from "./errors";

export type ExecutionProvider = "cpu" | "cuda" | "webgpu";

export interface SessionSettings {
  executionProvider: ExecutionProvider;
  /** 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
  interOpThreads: number;
  /**
   * Whether idle pool threads spin-wait for work. Spinning cuts latency on a machine with cores to spare; on a
   * small shared machine (the 2-core CI box) it steals the cores the other threads need: off by default.
   */
  allowSpinning: boolean;
}

export interface ValueInfo {
  name: string;
  type: string;
  /** Numbers for fixed dimensions, strings for symbolic ones. */
  shape: readonly (number | string)[];
}

export type FeedValue =
  | Tensor<Float32Array>
  | Tensor<BigInt64Array>
  | { data: boolean[]; dims: readonly number[] };

export const ORT_VERSION: string = ort.env.versions.node ?? ort.env.versions.common;

export function isProviderInstalled(provider: ExecutionProvider): boolean {
  return ort.listSupportedBackends().some((backend) => backend.name === provider && backend.bundled);
}

/** One ONNX graph of a model folder. */
export class OrtGraph {
  private constructor(
    /** Path relative to the model folder, for messages. */
    readonly file: string,
    private readonly session: ort.InferenceSession,
    readonly inputs: readonly ValueInfo[],
    readonly outputs: readonly ValueInfo[],
  ) {}

  static async open(absolutePath: string, file: string, settings: SessionSettings): Promise<OrtGraph> {
    if (!isProviderInstalled(settings.executionProvider)) {
      throw new ExecutionProviderError(
        `The ${settings.executionProvider} execution provider is not installed in onnxruntime-node. ` +
          "Reinstall with `npm ci --onnxruntime-node-install=cuda12` on a CUDA 12 machine, or use cpu.",
      );
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(absolutePath, {
        executionProviders: [settings.executionProvider],
        graphOptimizationLevel: "all",
        ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
        ...(settings.interOpThreads > 0 ? { interOpNumThreads: settings.interOpThreads } : {}),
        extra: {
          session: {
            intra_op: { allow_spinning: settings.allowSpinning ? "1" : "0" },
            inter_op: { allow_spinning: settings.allowSpinning ? "1" : "0" },
          },
        },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A GPU provider that is installed but cannot start (no device, wrong driver) is not the folder's fault.
      if (settings.executionProvider !== "cpu" && !/protobuf|parse|ModelProto|Load model/i.test(message)) {
        throw new ExecutionProviderError(
          `Could not start the ${settings.executionProvider} execution provider for ${file}: ${message}`,
        );
      }
      throw new ModelFolderError("bad-graph", file, "a valid ONNX model", message);
    }
    return new OrtGraph(file, session, valueInfos(session.inputMetadata), valueInfos(session.outputMetadata));
  }

  hasInput(name: string): boolean {
    return this.inputs.some((input) => input.name === name);
  }

  hasOutput(name: string): boolean {
    return this.outputs.some((output) => output.name === name);
  }

  /** Runs the graph; returns only the requested outputs (all when omitted) as float32 tensors. */
  async run(
    feeds: Record<string, FeedValue>,
    outputNames?: readonly string[],
  ): Promise<Record<string, Tensor<Float32Array>>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(value);
    const results = outputNames
      ? await this.session.run(ortFeeds, [...outputNames])
      : await this.session.run(ortFeeds);
    const out: Record<string, Tensor<Float32Array>> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = { data: asFloat32(tensor, this.file, name), dims: [...tensor.dims] };
      tensor.dispose();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function valueInfos(metadata: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, type: value.type, shape: value.shape }
      : { name: value.name, type: "non-tensor", shape: [] },
  );
}

function toOrtTensor(value: FeedValue): ort.Tensor {
  const dims = [...value.dims];
  if (Array.isArray(value.data)) return new ort.Tensor("bool", Uint8Array.from(value.data, Number), dims);
  if (value.data instanceof BigInt64Array) return new ort.Tensor("int64", value.data, dims);
  return new ort.Tensor("float32", value.data, dims);
}

function asFloat32(tensor: ort.Tensor, file: string, name: string): Float32Array {
  if (tensor.type === "float32") return tensor.data as Float32Array;
  // fp16 exports: ONNX Runtime hands back the raw half-precision bits.
  if (tensor.type === "float16") return fp16ToFp32(tensor.data as Uint16Array);
  throw new ModelFolderError("wrong-dtype", file, `float32 output ${name}`, `got ${tensor.type}`);
}
