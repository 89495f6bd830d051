/**
 * The escape hatch: `zoho.request()` sends any Zoho CRM REST call the connector has no method for, with
 * the connection's managed token, data centre, retries and typed errors. Here: create a Deal, move it to
 * "Closed Won", read it back, and delete it again (so running it against a real org leaves nothing).
 * The Deals scopes are asked for at authorization, on top of the defaults.
 *
 * Run: npx tsx examples/update-deal.ts   (embedded emulator; set ZOHO_* to use a real org)
 */
import { DEFAULT_SCOPES } from 'zoho-crm-connector';
import { connect, runIfMain } from './connect.js';

interface Deal {
  id: string;
  Deal_Name: string;
  Stage: string;
  Amount: number | null;
}
/** Zoho's answer to a write: one entry per record. */
interface WriteAnswer {
  data: Array<{ code: string; status: string; details: { id: string } }>;
}

export async function main(): Promise<{ created: string; stage: string; amount: number | null }> {
  const { zoho, close } = await connect({
    scopes: [
      ...DEFAULT_SCOPES,
      'ZohoCRM.modules.deals.READ',
      'ZohoCRM.modules.deals.CREATE',
      'ZohoCRM.modules.deals.UPDATE',
      'ZohoCRM.modules.deals.DELETE',
    ],
  });
  try {
    const created = await zoho.request<WriteAnswer>({
      method: 'POST',
      path: '/crm/v8/Deals',
      body: { data: [{ Deal_Name: 'Acme: 20 seats (example)', Stage: 'Qualification', Amount: 9_000 }] },
    });
    const id = created.data?.data[0]?.details.id as string;
    console.log(`created Deal ${id}: ${created.data?.data[0]?.code}`);

    const updated = await zoho.request<WriteAnswer>({
      method: 'PUT',
      path: `/crm/v8/Deals/${id}`,
      body: { data: [{ Stage: 'Closed Won', Amount: 12_000 }] },
    });
    console.log(`updated: ${updated.data?.data[0]?.code}`);

    const read = await zoho.request<{ data: Deal[] }>({
      method: 'GET',
      path: `/crm/v8/Deals/${id}`,
      query: { fields: 'Deal_Name,Stage,Amount' },
    });
    const deal = read.data?.data[0];
    console.log(`read back: ${deal?.Deal_Name} | ${deal?.Stage} | ${deal?.Amount}`);

    await zoho.request({ method: 'DELETE', path: `/crm/v8/Deals/${id}` });
    return {
      created: created.data?.data[0]?.code ?? '',
      stage: deal?.Stage ?? '',
      amount: deal?.Amount ?? null,
    };
  } finally {
    await close();
  }
}

await runIfMain(import.meta, main);
