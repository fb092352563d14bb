#!/usr/bin/env node
// Write schema/dmar.schema.json from the schema rows (npm run schema).
import { writeFileSync } from 'node:fs';
import { jsonSchema } from '../dist/src/dmar/codec/json-schema.js';

writeFileSync(new URL('../schema/dmar.schema.json', import.meta.url), JSON.stringify(jsonSchema(), null, 2) + '\n');
