import { Placeholder } from "../../components/Placeholder";

export default function EntriesPage() {
  return <Placeholder title="My entries" />;
}
