// Validates CloudNativePG resources against the CRD schemas shipped in @kubernetes-models/cloudnative-pg.
//   npm install --prefix deploy/tools && npm run --prefix deploy/tools validate-cnpg
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { Cluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster";
import { ScheduledBackup } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup";

const kinds = { Cluster, ScheduledBackup };
let failed = 0;
for (const doc of yaml.loadAll(readFileSync(process.argv[2], "utf8"))) {
  const Model = kinds[doc.kind];
  try {
    if (!Model) throw new Error(`no schema for kind ${doc.kind}`);
    new Model(doc).validate();
    console.log(`valid    ${doc.kind}/${doc.metadata.name}`);
  } catch (error) {
    failed += 1;
    console.log(`INVALID  ${doc.kind}/${doc.metadata?.name}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
