// Validates XML files against one XSD with the JDK's own validator (Xerces), as a Java
// consumer or platform would: java ValidateReplies.java SCHEMA.xsd FILE... prints one line
// per refused file and exits 1 if there was one.

import java.io.File;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;

public class ValidateReplies {
    public static void main(String[] args) throws Exception {
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        // the schema and the replies are files: nothing is fetched from a network
        factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "file");
        Schema schema = factory.newSchema(new File(args[0]));
        int refused = 0;
        for (int i = 1; i < args.length; i++) {
            try {
                schema.newValidator().validate(new StreamSource(new File(args[i])));
            } catch (org.xml.sax.SAXException error) {
                refused++;
                System.out.println(new File(args[i]).getName() + ": " + error.getMessage());
            }
        }
        System.out.println((args.length - 1 - refused) + " valid, " + refused + " refused");
        System.exit(refused == 0 ? 0 : 1);
    }
}
