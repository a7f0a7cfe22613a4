import { Placeholder } from "../../components/Placeholder";

export default function LedgerPage() {
  return <Placeholder title="Ledger" />;
}
