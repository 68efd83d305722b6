import path from "node:path";
import { ROOT } from "./processes";

/** The bundled model, its stock-layout copy and its PyTorch parity fixtures (tools/florence-vl-mini writes all three). */
export const MINI_MODEL_DIR = path.join(ROOT, "models", "florence-vl-mini");
export const STOCK_MODEL_DIR = path.join(ROOT, "tests", "fixtures", "florence-2-stock-mini");
export const PARITY_FIXTURES_DIR = path.join(ROOT, "tests", "fixtures", "florence-vl-mini");
