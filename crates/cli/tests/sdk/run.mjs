// Runs two turns of one thread through the official TypeScript SDK against our binary.
// Usage: node run.mjs <codex binary> <base url> <workdir>; prints one JSON object.
import { Codex } from "@openai/codex-sdk";

const [codexPath, baseUrl, workdir] = process.argv.slice(2);
const codex = new Codex({ codexPathOverride: codexPath, baseUrl, apiKey: "sk-sdk-test" });
const thread = codex.startThread({ workingDirectory: workdir, skipGitRepoCheck: true });
const first = await thread.run("first question");
const second = await thread.run("second question");
const resumed = codex.resumeThread(thread.id, { workingDirectory: workdir, skipGitRepoCheck: true });
const third = await resumed.run("third question");
console.log(
  JSON.stringify({
    threadId: thread.id,
    first: first.finalResponse,
    firstItems: first.items,
    second: second.finalResponse,
    third: third.finalResponse,
    usage: third.usage,
  }),
);
