// The page's entry point: runs every quick start against the mock named by ?mock= (default: the
// page's own origin) and writes what each saw, as JSON, into <pre id="result">.
import { efalia, elyssa, pixfile, precrime } from "./quickstart";
import "./proofs";

const mock = new URLSearchParams(location.search).get("mock") ?? location.origin;
const out: Record<string, unknown> = {};
for (const [name, run] of Object.entries({ efalia, pixfile, elyssa, precrime })) {
  try {
    out[name] = await run(mock);
  } catch (e) {
    out[name] = { error: String(e) };
  }
}
document.getElementById("result")!.textContent = JSON.stringify(out);
