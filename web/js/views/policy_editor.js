// views/policy_editor.js: every rule of a network's policy, as the chain stores it
// (docs/ENCODING.md's policy table): amounts in minor units, rates in basis points,
// times in seconds, the enumerations by name. For operators who need a rule the
// console's main figures do not show (reputation weights, algorithmic limits,
// demurrage, membership fees, governance). A policy update states the whole policy
// wanted, so the editor starts from what is announced when a change is waiting (a new
// update that left it out would withdraw it) and from the policy in force otherwise.
import { field, h, notice } from '../dom.js';
import { POLICY_ENUMS, policyForEncoding } from '../policy.js';
import { signAndShow } from '../sign.js';
import { actionForm } from './wallet.js';

// Fields that hold amounts of the network's unit (int64 minor units).
const AMOUNTS = new Set(['default_credit_limit', 'max_credit_limit', 'positive_cap', 'reputation.volume_full',
  'algorithmic_limits.base', 'algorithmic_limits.per_point', 'algorithmic_limits.step_max', 'demurrage_threshold', 'membership_fee']);

/** The policy's leaves in order, as [path, value]. */
function leaves(object, prefix = '') {
  return Object.entries(object).flatMap(([name, value]) =>
    value !== null && typeof value === 'object' ? leaves(value, `${prefix}${name}.`) : [[prefix + name, value]]);
}

function hint(path, network) {
  if (AMOUNTS.has(path)) return `minor units of ${network.unit} (${network.decimals} decimals)`;
  if (path.endsWith('_bps')) return 'basis points: 100 = 1%';
  if (path.endsWith('_seconds')) return 'seconds: 86400 = a day';
  return null;
}

function input(path, value, network) {
  const id = `policy-all-${network.id}-${path.replaceAll('.', '-')}`;
  if (typeof value === 'boolean') return field(path, h('input', { type: 'checkbox', name: path, id, checked: value }));
  if (POLICY_ENUMS[path])
    return field(path, h('select', { name: path, id }, POLICY_ENUMS[path].map((v) => h('option', { value: v, selected: v === value }, v))));
  return field(path, h('input', { name: path, id, value: String(value), inputmode: 'numeric', required: true, class: 'short', pattern: '[0-9]+' }), hint(path, network));
}

function set(object, path, value) {
  const parts = path.split('.');
  let at = object;
  for (const part of parts.slice(0, -1)) at = at[part];
  at[parts.at(-1)] = value;
}

export function policyEditor(sodium, key, network, refresh) {
  const base = network.announced?.policy ?? network.policy;
  const fields = leaves(base);
  return h('details', { class: 'card-part policy-editor', id: `policy-all-${network.id}` },
    h('summary', {}, 'Every rule of the policy'),
    network.announced?.policy && notice('info', 'These are the rules announced (those that wait for the notice among them): a change sent from here keeps the announcement where it repeats it.'),
    actionForm({ id: `policy-all-form-${network.id}` }, [
      h('div', { class: 'policy-grid' }, fields.map(([path, value]) => input(path, value, network))),
      h('button', { type: 'submit', id: `policy-all-send-${network.id}` }, 'Send the policy'),
    ], (data) => {
      const wanted = structuredClone(base);
      const changed = [];
      for (const [path, value] of fields) {
        let next;
        if (typeof value === 'boolean') next = data.get(path) === 'on';
        else if (POLICY_ENUMS[path]) next = String(data.get(path));
        else {
          const text = String(data.get(path)).trim();
          if (!/^[0-9]+$/.test(text)) throw new Error(`${path} is a whole number, not '${text}'`);
          next = AMOUNTS.has(path) ? BigInt(text) : Number(text);
          if (!AMOUNTS.has(path) && !Number.isSafeInteger(next)) throw new Error(`${path} is too large`);
        }
        if (String(next) !== String(value)) changed.push(`${path} ${value} → ${next}`);
        set(wanted, path, next);
      }
      if (changed.length === 0) return notice('info', 'Nothing changed: nothing was signed.');
      return signAndShow(sodium, key, 'policy_update', { network_id: network.id, policy: policyForEncoding(wanted) },
        `Change ${network.name}'s policy: ${changed.join(', ')}`, refresh);
    }));
}
