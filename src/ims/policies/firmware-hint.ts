/**
 * firmware-hint (proposals.md 3): the platform must advertise one or the
 * other through the descriptor; a table without one gets no IMS at all,
 * whatever else is known.
 */
import { descriptorOf, type Evidence } from '../evidence.js';
import { SIGNALS } from '../signals.js';
import { fired, NO_DMAR, type Outcome, type Policy } from '../policy.js';

function decide(ev: Evidence): Outcome {
  const d = descriptorOf(ev);
  if (!d) {
    const why = ev['dmar.present'].value === true ? 'no descriptor' : `${NO_DMAR}, so no descriptor`;
    return fired('firmware-hint.1', `${why}: the platform advertised neither bare metal nor virtualization, no IMS`, ['descriptor'], 'none');
  }
  if (!d.virtualized) return fired('firmware-hint.2', 'descriptor says VIRTUALIZED=0: native IMS', ['descriptor'], 'native');
  return d.features.IMS
    ? fired('firmware-hint.3', 'descriptor says VIRTUALIZED=1 and sets feature IMS: virtualized IMS', ['descriptor'], 'virtualized')
    : fired('firmware-hint.3', 'descriptor says VIRTUALIZED=1 without feature IMS: no IMS', ['descriptor'], 'none');
}

export const firmwareHint: Policy = {
  name: 'firmware-hint',
  summary: 'the firmware must say bare metal or virtualized in the descriptor; silence means no IMS',
  proposed: true,
  ignores: [...SIGNALS.map((x) => x.name), 'flags.imsOptOut'],
  decide,
};
