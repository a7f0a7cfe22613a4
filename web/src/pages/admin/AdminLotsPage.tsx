import { Placeholder } from "../../components/Placeholder";

export default function AdminLotsPage() {
  return <Placeholder title="Lots (admin)" />;
}
